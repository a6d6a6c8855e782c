// placeholder until the unit-test author writes this file
