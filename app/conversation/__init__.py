"""One customer turn as typed stages, its decision trace, answers, tasks and crash recovery."""
