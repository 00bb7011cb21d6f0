"""Single-file HTML reports rendered from the contract's JSON documents."""
