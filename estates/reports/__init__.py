"""Nomination reports as provinces write them in Word: read into a nomination's evidence
boxes (reading.py), written out in the official structure as .docx and PDF (writing.py,
pdf.py), and a campaign's reports as one streamed ZIP (archive.py)."""
