"""Consent per purpose (README, "Consent"): the combination rule (:mod:`.rules`), the
history of consent (:mod:`.history`) and the service the API and CLI call (:mod:`.service`).
"""
