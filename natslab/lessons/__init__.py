"""Lessons: files of steps, each with actions the lab performs and checks that must then hold."""
