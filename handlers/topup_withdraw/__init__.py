"""topup_withdraw"""
