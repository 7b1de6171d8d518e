"""The matching engine: taxonomy, eligibility, features, scorers, retrieval and solver."""
