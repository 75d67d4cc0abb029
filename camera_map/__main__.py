"""``python -m camera_map`` runs the command-line interface."""

from camera_map.cli import main

main(prog_name="camera-map")
