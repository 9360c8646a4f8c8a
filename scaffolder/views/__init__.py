"""The Create pages: gallery, template, form, tasks and installed actions."""
