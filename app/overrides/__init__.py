"""Overrides: an analyst's must-link ("same") or cannot-link ("different") decision about
two identifiers, applied at once and honoured by every later re-evaluation."""
