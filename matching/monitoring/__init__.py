"""SROI monitoring: obligation progress and forecast, retention, training needs and fairness.

Pure compute over a :class:`models.dataset.Dataset`: every function returns frames; the report
writers in ``api/`` render them.
"""
