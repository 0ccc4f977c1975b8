"""Standardized patients: cases, patient simulators, consultations and their measures."""
