"""Reading what planners actually bring: government spreadsheets, every coordinate form, registers."""
