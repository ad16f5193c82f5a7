"""Two languages in two scripts: which script and language a text is in, its words (tokens),
its sentences, and the bilingual word lists (a research glossary, CC-CEDICT) that let an
English question meet a Chinese summary. Nothing here knows what a paper is."""
