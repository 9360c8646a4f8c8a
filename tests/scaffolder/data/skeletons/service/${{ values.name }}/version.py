VERSION = "${{ values.version }}"
