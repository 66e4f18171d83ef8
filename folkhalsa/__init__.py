"""folkhälsa: reporting pipeline for the regional implementation of Swedish public health policy."""

SAMPLE_NOTICE = "Exempeldata – inte officiell statistik"
