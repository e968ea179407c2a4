"""A client's chart series: weight trend, daily adherence, kcal and protein vs target."""
