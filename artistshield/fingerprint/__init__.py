"""Perceptual fingerprints that find a registered work again from a derived copy."""
