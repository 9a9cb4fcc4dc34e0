"""Where suppression-list import files come from: a directory the operator allows, or HTTP(S)."""
