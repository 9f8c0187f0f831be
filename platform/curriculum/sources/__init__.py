"""Where curriculum data comes from: Skolverket's Syllabus API, or its JSON saved to files."""
