"""The version of camera-map, in a module of its own so that no stage imports the package root.

The package root, the wheel's metadata and the User-Agent all take it from here:

>>> import camera_map, camera_map.settings
>>> camera_map.__version__ == __version__
True
>>> camera_map.settings.user_agent.startswith(f"camera-map/{__version__} ")
True
"""

__version__ = "0.1.0"
