"""bills"""
