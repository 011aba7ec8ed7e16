"""The Pulumi front door: the component the program declares and its dynamic provider."""
