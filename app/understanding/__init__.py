"""What one customer message means: language, intent, entities, sentiment, signals, priority."""
