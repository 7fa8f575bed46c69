"""Infrastructure shared by the whole package, not geometry: argument checks
(`validation`), memory estimates and block sizes (`memory`), the progress
printer (`progress`)."""
