"""The pictures: the digest chart, the topics chart and the comparison table, drawn with
fonts that ship as Python packages."""
