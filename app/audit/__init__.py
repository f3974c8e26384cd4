"""The audit log: who did what to the graph, when, and how it ended (README, "Audit log").

``service`` makes and pages entries; ``http`` audits API requests (a middleware and the
route marks); ``commands`` audits CLI commands (a decorator).
"""
