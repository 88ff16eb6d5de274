"""Reference solutions: trusted, instructor-only; never shipped in a student release."""
