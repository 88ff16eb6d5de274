"""hw3's own kinds of check: a schedule over many epochs, the batches a generator yields, an initialiser's
statistics, and the trainer judged by held-out accuracy."""
