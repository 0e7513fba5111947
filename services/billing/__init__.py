"""The billing service: fees per case, receipts, refunds, remittance and daily reconciliation."""
