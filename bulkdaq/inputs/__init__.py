"""Input files a person writes: petroleum ticket files and draft-survey job files, validated into the
calculators' inputs with errors that name the file, the field and what was expected."""
