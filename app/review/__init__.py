"""The review queue: doubtful matches come to a person, who accepts or rejects them.

Two kinds of items, most useful first (:mod:`app.review.service`):

- **pairs** whose match probability lies in the configured grey zone around the join
  threshold (``IDGRAPH_REVIEW_MIN_PROBABILITY`` .. ``IDGRAPH_REVIEW_MAX_PROBABILITY``);
- **policy splits with a close cut**: customers a policy split although the evidence it
  cut was strong (``IDGRAPH_REVIEW_SPLIT_MIN_CUT``), re-computed on the live graph.

A decision is an override (must-link or cannot-link) signed with the caller's key, so it
takes effect at once and is honoured by rematch and recluster like any override.
"""
