"""Testing a change before it ships: which file versions decided the stored replies
(versions.py), and scripted test conversations run against the real engine (suite.py, runner.py)."""
