"""Infrastructure shared by the whole package, not geometry: argument checks
(`validation`), memory and time estimates, block sizes and cores
(`resources`), the progress printer (`progress`)."""
