// The order form's page (/): the form and the price table.
import { render } from "preact";
import { OrderForm } from "./views/OrderForm";

const root = document.getElementById("app") as HTMLElement;
root.replaceChildren();
render(<OrderForm />, root);
