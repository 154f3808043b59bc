"""Routing: find the right skill for a task among many (lexical + dense, fused, reranked)."""
