"""What an operator configures: process settings, tenant files, handoff policies, the data folder."""
