package ${{ values.package }};

public class Main {}
