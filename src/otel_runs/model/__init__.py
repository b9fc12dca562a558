"""Value types shared by every path: the neutral span record and the Run."""
