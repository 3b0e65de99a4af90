"""Applications that run the model: the tour, validation, ensembles, results folders, reports, figures, docs."""
