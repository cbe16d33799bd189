"""The Gatys et al. (2015) optimizer, and distillation targets made with it."""
