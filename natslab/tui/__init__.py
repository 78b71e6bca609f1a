"""The Textual skin over LabState and the lesson runner: the only package that imports Textual."""
