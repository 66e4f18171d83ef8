"""Write the whole synthetic input folder: returns, SKR survey exports and indicator snapshots."""
from __future__ import annotations

import json
from pathlib import Path

from folkhalsa import SAMPLE_NOTICE

README = f"""# Exempeldata – inte officiell statistik

Syntetiska indata för folkhälsa, skapade av `folkhalsa sample-data`. Koderna och namnen på län,
kommuner, målområden och indikatorer är verkliga; alla värden, aktörer, personer och svar är påhittade.
Beloppet för 2023 fastställdes inte i regeringsbeslutet; exempeldatan antar samma belopp som 2022.

- `returns/<år>/`: länsrapporter (xlsx; en län lämnar som mapp med csv-filer; ett län lämnar in två versioner)
  2022 på mallversion 2023.1 och 2023 på 2024.1 (med jämställdhetsperspektiv); fritexterna är märkta [Exempeltext]
- `survey/`: SKR:s medlemsenkät, export per år
- `indicators/`: svar från Folkhälsodata (JSON-stat2) och Kolada (JSON), sparade som ögonblicksbilder
- `population/`: befolkning efter utbildningsnivå, län, kön och ålder, format som SCB:s svar (UF0506B)

Synthetic inputs. {SAMPLE_NOTICE}.
"""


def write_sample_data(out: Path, *, seed: int = 42, scale: int = 1, years=(2022, 2023)) -> list[Path]:
    from folkhalsa.sample.indicators import write_sample_indicators
    from folkhalsa.sample.returns import write_sample_returns
    from folkhalsa.sample.survey import write_sample_survey

    out.mkdir(parents=True, exist_ok=True)
    files = write_sample_returns(out / "returns", years=years, seed=seed, scale=scale)
    files += write_sample_survey(out / "survey", seed=seed, scale=scale)
    files += write_sample_indicators(out / "indicators", seed=seed, scale=scale)
    from folkhalsa.reference import SEEDS_DIR, counties, municipalities
    from folkhalsa.sources.population import SAMPLE_YEARS, write_sample_population
    files += write_sample_population(out / "population", SEEDS_DIR.parent, ["00", *counties()], SAMPLE_YEARS, seed,
                                     municipalities=list(municipalities()))
    info = {"synthetic": True, "label": SAMPLE_NOTICE, "seed": seed, "scale": scale, "years": list(years)}
    (out / "dataset.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", "utf-8")
    (out / "README.md").write_text(README, "utf-8")
    return files + [out / "dataset.json", out / "README.md"]
