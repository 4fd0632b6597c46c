// The paid page (/paid.html): where Checkout sends the buyer back.
import { render } from "preact";
import { Paid } from "./views/Paid";

const root = document.getElementById("app") as HTMLElement;
root.replaceChildren();
render(<Paid />, root);
