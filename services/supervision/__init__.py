"""The supervision service (督查): follows intake's and billing's events and raises findings.

Findings are events too (raised, acknowledged, closed), so supervision itself can be audited.
"""
