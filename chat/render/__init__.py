"""Renderers: pure functions from wallet data to bytes a chat can send (PNG charts, PDF
statements, QR pictures, CSV files). No Telegram here; texts come from the catalogs."""
