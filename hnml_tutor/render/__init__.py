"""Renderers over the one result type (:mod:`hnml_tutor.results`): terminal, HTML and plain text.

Each turns the same :class:`~hnml_tutor.results.CheckResult` into its medium, through the single layout
of :meth:`CheckResult.feedback <hnml_tutor.results.CheckResult.feedback>` (expected, found, hint); JSON is
:meth:`ExerciseReport.to_dict <hnml_tutor.results.ExerciseReport.to_dict>`. None of them prints.
"""
