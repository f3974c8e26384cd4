"""Privacy: what idgraph does for the people it holds data about.

Today erasure (:mod:`app.privacy.erasure`: ``DELETE /v1/customers/{id}`` and
``DELETE /v1/identifiers/{kind}/{value}``) and the suppression of erased identifiers that
come back (:mod:`app.privacy.suppression`).
"""
