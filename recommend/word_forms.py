"""Latin and Greek plurals that Snowball leaves apart from their singular.

Snowball's English stemmer strips English suffixes, so "equilibria" and "equilibrium",
"matrices" and "matrix", "hypotheses" and "hypothesis" stay two terms: a search for one
misses the other, and a trend list shows both. The analyser maps these plurals to their
singular before stemming. The table is closed morphology, like the stop words: only
plurals that cannot be another English word are listed ("analyses" and "bases" are also
verbs or other nouns, "data" and "media" are used as singular nouns), and no suffix
rule is applied ("devices", "prices" and "services" end like "vertices").
"""

from __future__ import annotations

CLASSICAL_PLURALS: dict[str, str] = {
    # -a -> -um
    "equilibria": "equilibrium", "spectra": "spectrum", "maxima": "maximum",
    "minima": "minimum", "optima": "optimum", "extrema": "extremum", "infima": "infimum",
    "suprema": "supremum", "quanta": "quantum", "momenta": "momentum",
    "curricula": "curriculum", "strata": "stratum", "bacteria": "bacterium",
    "phyla": "phylum", "millennia": "millennium", "continua": "continuum",
    # -a -> -on
    "criteria": "criterion", "phenomena": "phenomenon", "polyhedra": "polyhedron",
    "automata": "automaton", "mitochondria": "mitochondrion", "taxa": "taxon",
    "ganglia": "ganglion",
    # -ata -> -a
    "schemata": "schema", "lemmata": "lemma", "stigmata": "stigma",
    # -ices -> -ex / -ix
    "matrices": "matrix", "indices": "index", "vertices": "vertex", "simplices": "simplex",
    "appendices": "appendix", "apices": "apex", "vortices": "vortex", "cortices": "cortex",
    "helices": "helix",
    # -i -> -us
    "nuclei": "nucleus", "radii": "radius", "foci": "focus", "loci": "locus",
    "stimuli": "stimulus", "tori": "torus", "moduli": "modulus", "calculi": "calculus",
    "fungi": "fungus", "syllabi": "syllabus",
    # -ora / -era -> -us
    "corpora": "corpus", "genera": "genus",
    # -ae -> -a
    "formulae": "formula", "antennae": "antenna", "nebulae": "nebula",
    "supernovae": "supernova", "vertebrae": "vertebra", "larvae": "larva", "algae": "alga",
    # -es -> -is
    "hypotheses": "hypothesis", "theses": "thesis", "parentheses": "parenthesis",
    "syntheses": "synthesis", "diagnoses": "diagnosis", "prognoses": "prognosis",
    "emphases": "emphasis", "paralyses": "paralysis",
}
