"""Presentation: rich renderings of LabState and lesson verdicts, headless printers, the report."""
