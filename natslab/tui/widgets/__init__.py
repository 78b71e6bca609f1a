"""Small widgets, each drawing one part of LabState."""
