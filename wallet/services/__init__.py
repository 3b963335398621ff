"""Service operations, one module per feature. Each public async function runs in one
database transaction (``wallet.uow``) and, when it changes state, takes an idempotency key."""
