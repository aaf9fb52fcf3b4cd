"""Policy catalogue data files (JSON), one per seed policy document; read by scoring.subsidy."""
