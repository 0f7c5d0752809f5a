"""Problems: the canonical record of one broken process, triaged from observations, fixed and verified."""
