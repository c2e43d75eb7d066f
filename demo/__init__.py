"""Offline demo scenarios: scripted models standing in for real providers."""
